# Latency CDF of the cluster demo: gnuplot -e "dir='OUT'" cdf.gp writes OUT/latency_cdf.png
# from the front end's OUT/latency_<scheme>.dat files.
if (!exists("dir")) dir = "."
set terminal pngcairo size 1200,480 font ",11" noenhanced
set output dir."/latency_cdf.png"
schemes = "uncoded replication berrut nercc"
names = "uncoded replication Berrut NeRCC"
set multiplot layout 1,2 title "gRPC cluster demo: end-to-end latency of answered queries"
set logscale x
set xlabel "latency (ms)"
set grid
set key bottom right
set ylabel "CDF"
set yrange [0:1]
plot for [i=1:words(schemes)] dir."/latency_".word(schemes,i).".dat" using 1:2 with lines lw 2 title word(names,i)
# The tail, where the schemes differ: the fraction of queries at least this slow.
set ylabel "fraction at least this slow"
set logscale y
set yrange [1e-4:1]
set key top right
plot for [i=1:words(schemes)] dir."/latency_".word(schemes,i).".dat" using 1:3 with lines lw 2 title word(names,i)
unset multiplot
