# Leave-one-task-out regret per learner (gnuplot regret.gp, in this folder).
set terminal pngcairo size 900,500
set output 'regret.png'
set datafile separator ','
set title 'Leave-one-task-out regret per held-out task (docs/results/select/corpus.csv, 51 tasks)'
set ylabel 'regret (decades of MSE)'
set xtics rotate by -45 noenhanced
set key noenhanced outside
set style data linespoints
plot for [c=2:7] 'regret.csv' using c:xtic(1) title columnheader(c)
