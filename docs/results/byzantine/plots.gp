# Plots of docs/results/byzantine from plot_data/ (written by make_tables.py). Run in this folder:
#   gnuplot plots.gp
set terminal pngcairo size 1500,900 font ",10" noenhanced
set datafile missing "nan"
set key bottom left font ",8"
set grid

attacks = "sign_flip noise_1 noise_10 noise_100 constant copy_other_worker other_query adaptive"
schemes = "spline_today_residual spline_systematic_residual berrut_today_residual berrut_systematic_residual berrut_today_locator replication_copies_vote"
titles = "'NeRCC spline' 'NeRCC spline sys.' 'Berrut' 'Berrut sys.' 'ApproxIFER (Berrut + locator)' 'replication + vote'"

# RelAcc against E per attack (random positions, S = 0), one panel per scheme.
do for [m in "lenet5 resnet synthetic"] {
  set output sprintf("relacc_vs_e_%s.png", m)
  set multiplot layout 2,3 title sprintf("%s: RelAcc vs E at N = 2K + 2E - 1, K = 12 (replication (2E+1)K), random positions", m)
  set xrange [0.8:3.2]
  set xtics 1
  set yrange [0.5:1.02]
  set xlabel "E"
  set ylabel "RelAcc"
  do for [i=1:6] {
    f = sprintf("plot_data/relacc_%s_%s.dat", m, word(schemes, i))
    set title word(titles, i)
    plot f u 1:2 w lp lw 3 lc rgb "black" t "no adversary", \
         for [a=1:8] f u 1:(column(a+2)) w lp t word(attacks, a)
  }
  unset multiplot
}

# Target (a) and its bound: the worst RelAcc drop under attack against E (S = 0), with and
# without the adaptive attacker, and a perfect detector's (the wrong answers erased).
set terminal pngcairo size 1500,450 font ",10" noenhanced
sch4 = "spline_today_residual spline_systematic_residual berrut_today_residual berrut_systematic_residual"
do for [m in "lenet5 resnet synthetic"] {
  set output sprintf("drops_%s.png", m)
  set multiplot layout 1,4 title sprintf("%s: worst RelAcc drop at N = 2K + 2E - 1 (S = 0), threshold 5, against the same decoder with no adversary", m)
  set xrange [0.8:3.2]
  set xtics 1
  set yrange [0:*]
  set xlabel "E"
  set ylabel "RelAcc drop"
  do for [i=1:4] {
    f = sprintf("plot_data/drops_%s_%s.dat", m, word(sch4, i))
    set title word(titles, i)
    plot f u 1:2 w lp lw 2 t "every attack", f u 1:3 w lp lw 2 t "without the adaptive attacker", \
         f u 1:4 w lp lw 2 t "perfect detector", 0.01 w l dt 2 lc rgb "black" t "target 1 point"
  }
  unset multiplot
}
set terminal pngcairo size 1500,900 font ",10" noenhanced

# Detection precision and recall against the noise sigma.
set terminal pngcairo size 1500,500 font ",10" noenhanced
do for [m in "lenet5 resnet synthetic"] {
  set output sprintf("detection_vs_sigma_%s.png", m)
  set multiplot layout 1,2 title sprintf("%s: detection of Gaussian noise (sigma x output scale), means over E, S, placements", m)
  set logscale x
  set xrange [0.8:130]
  set yrange [0:1.05]
  set xlabel "sigma"
  set xtics (1, 10, 100)
  set ylabel "precision"
  set title "precision"
  plot for [i=1:5] sprintf("plot_data/detect_%s_%s.dat", m, word(schemes, i)) u 1:2 w lp t word(titles, i)
  set ylabel "recall"
  set title "recall"
  plot for [i=1:5] sprintf("plot_data/detect_%s_%s.dat", m, word(schemes, i)) u 1:3 w lp t word(titles, i)
  unset multiplot
  unset logscale x
}

# Threshold calibration: false flags with no adversary and recall, against the threshold.
sch4 = "spline_today spline_systematic berrut_today berrut_systematic"
set terminal pngcairo size 1800,500 font ",10" noenhanced
do for [m in "lenet5 resnet synthetic"] {
  set output sprintf("thresholds_%s.png", m)
  set multiplot layout 1,3 title sprintf("%s: residual detector against its threshold (E = 1, 2; S = 0, 1)", m)
  set xrange [*:*]
  set autoscale x
  set xtics auto
  set xlabel "detection threshold"
  set yrange [0:*]
  set ylabel "honest answers flagged (no adversary)"
  set title "false flags"
  plot for [i=1:4] sprintf("plot_data/thresholds_%s_%s.dat", m, word(sch4, i)) u 1:2 w lp t word(sch4, i)
  set yrange [0:1.05]
  set ylabel "recall"
  set title "recall: sign flip (solid), sigma 10 (dashed)"
  plot for [i=1:4] sprintf("plot_data/thresholds_%s_%s.dat", m, word(sch4, i)) u 1:3 w lp lc i t word(sch4, i), \
       for [i=1:4] sprintf("plot_data/thresholds_%s_%s.dat", m, word(sch4, i)) u 1:4 w lp lc i dt 2 notitle
  set logscale y
  set yrange [0.001:1]
  set ylabel "RelAcc lost (log)"
  set key top left font ",8"
  set title "RelAcc lost: false flags (dotted), worst attack (solid), adaptive (dashed)"
  plot for [i=1:4] sprintf("plot_data/thresholds_%s_%s.dat", m, word(sch4, i)) u 1:6 w lp lc i t word(sch4, i), \
       for [i=1:4] sprintf("plot_data/thresholds_%s_%s.dat", m, word(sch4, i)) u 1:7 w lp lc i dt 2 notitle, \
       for [i=1:4] sprintf("plot_data/thresholds_%s_%s.dat", m, word(sch4, i)) u 1:8 w lp lc i dt 3 notitle, \
       0.01 w l lc rgb "black" dt 4 t "1 point"
  unset logscale y
  set key bottom left font ",8"
  unset multiplot
}

# Smallest N against ApproxIFER's and replication's worker counts.
set terminal pngcairo size 2400,800 font ",10" noenhanced
set output "smallest_n.png"
set xtics font ",8"
set bmargin 14
set title "Fashion-MNIST: smallest N with RelAcc >= 0.95 under every non-adaptive attack (K = 12); missing point: not reached by N = 36 (or the largest N scanned); _oracle: a perfect detector"
set style data linespoints
set xtics rotate by -60
set xrange [*:*]
set autoscale x
set yrange [0:*]
set ylabel "N"
set xlabel ""
plot "plot_data/smallest_n.dat" u 0:4:xtic(sprintf("%s %s %s", stringcolumn(1), stringcolumn(2), stringcolumn(3))) w p pt 7 ps 1.5 t "smallest N measured", \
     "" u 0:5 w p pt 5 t "ApproxIFER 2K + 2E + S - 1", \
     "" u 0:6 w p pt 9 t "replication (2E + 1 + S) K"
