# The frontier plot of the cluster demo: gnuplot -e "dir='OUT'" frontier.gp writes
# OUT/frontier.png from the front end's OUT/frontier.dat, one panel per redundancy N/K: p99
# against RelAcc of every configuration (bars: smallest and largest value in one round), the
# configurations on the frontier joined by a line.
if (!exists("dir")) dir = "."
file = dir."/frontier.dat"
stats file using 1 nooutput
panels = int(STATS_blocks) / 2
ncols = panels < 3 ? panels : 3
nrows = int(ceil(panels / 3.0))
set terminal pngcairo size 560*ncols,480*nrows font ",10" noenhanced
set output dir."/frontier.png"
set multiplot layout nrows,ncols title "gRPC cluster: p99 latency against RelAcc at equal worker counts (lower right is better)"
set logscale y
set xlabel "RelAcc (argmax agreement with the served model)"
set ylabel "p99 latency (ms)"
set grid
set key off
# Room on the right for the labels.
set offsets graph 0.02, graph 0.3, 0, 0
do for [i=0:panels-1] {
  stats file index 2*i using 1 nooutput
  set title sprintf("N/K = %g", STATS_min)
  plot file index 2*i using 4:3:7:8:5:6 with xyerrorbars pt 7 ps 0.8 lc rgb "#4060a0", \
       file index 2*i+1 using 4:3 with linespoints lw 2 pt 6 ps 1.4 lc rgb "#c03030", \
       file index 2*i using 4:3:10 with labels left offset 0.6,0.4 font ",8"
}
unset multiplot
