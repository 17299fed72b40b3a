# Figures of docs/results/plan.md: gnuplot docs/results/plan.gp (from the repository root).
set terminal pngcairo size 720,420 font ",11"
set datafile missing "NaN"
set key top right
set grid

set output 'docs/results/plan_cost.png'
set title 'LeNet5, 50000 queries/s, RelAcc >= 0.85: cheapest configuration per p99 SLO'
set xlabel 'p99 SLO (ms)'
set ylabel 'workers provisioned'
set logscale x
set xrange [0.25:4]
plot 'docs/results/plan_cost.dat' using 1:2 with linespoints lw 2 title 'plan (any scheme)', \
     '' using 1:3 with linespoints title 'coded only (spline, Berrut)', \
     '' using 1:4 with linespoints title 'uncoded only', \
     '' using 1:5 with linespoints title 'replication only'

set output 'docs/results/plan_queueing.png'
set title 'Analytic p99 (no queueing) against simulate() as worker sets are removed'
set xlabel 'worker-set utilisation'
set ylabel 'p99 (ms)'
unset logscale x
set autoscale x
set key top left
plot 'docs/results/plan_queueing.dat' using 1:2 with linespoints lw 2 title 'plan() prediction', \
     '' using 1:3 with linespoints lw 2 title 'simulate()'
