# Online protocol: hit rate against evaluation savings (gnuplot online.gp, in this folder).
set terminal pngcairo size 900,500
set output 'online.png'
set datafile separator ','
set title 'Verified short lists, k = 1, 3, 5 (docs/results/select/corpus.csv, 51 tasks)'
set key noenhanced outside
set xlabel 'model evaluations: exhaustive sweep / short list (shared calls)'
set logscale x
set ylabel 'tasks with a verified configuration within 1% of the best'
set yrange [0:1.05]
plot for [l in 'GlobalBest ISAC ArgoSmArT ALORS BoostedTrees MetaInf'] 'online.csv' using (strcol(1) eq l ? $8 : 1/0):5 with linespoints title l
