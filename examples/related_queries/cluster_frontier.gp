# The related-query cluster sweep's plot: gnuplot -e "dir='OUT'" cluster_frontier.gp writes
# OUT/frontier.png from OUT/frontier.dat (cluster_report.hpp), one panel per redundancy N/K: p99
# against the forecasts' MAE from the model's own forecast (bars: smallest and largest value in
# one round), the configurations on the frontier joined by a line. Lower left is better.
if (!exists("dir")) dir = "."
file = dir."/frontier.dat"
stats file using 1 nooutput
panels = int(STATS_blocks) / 2
ncols = panels < 3 ? panels : 3
nrows = int(ceil(panels / 3.0))
set terminal pngcairo size 560*ncols,480*nrows font ",10" noenhanced
set output dir."/frontier.png"
set multiplot layout nrows,ncols title "Related queries on the gRPC cluster: p99 against forecast error at equal worker counts (lower left is better)"
set logscale y
set xlabel "MAE from the model's own forecast (deg C)"
set ylabel "p99 latency (ms)"
set grid
set key off
set offsets graph 0.02, graph 0.35, 0, 0
do for [i=0:panels-1] {
  stats file index 2*i using 1 nooutput
  set title sprintf("N/K = %g", STATS_min)
  plot file index 2*i using 4:3:7:8:5:6 with xyerrorbars pt 7 ps 0.8 lc rgb "#4060a0", \
       file index 2*i+1 using 4:3 with linespoints lw 2 pt 6 ps 1.4 lc rgb "#c03030", \
       file index 2*i using 4:3:10 with labels left offset 0.6,0.4 font ",8"
}
unset multiplot
