# Made by nercc_related_queries_experiment; run from the output directory: gnuplot plot_data/plots.gp
set terminal pngcairo size 1300,520 font ',10'
set output 'related_queries.png'
set multiplot layout 1,2 title 'Seattle next-day temperature forecasts, K = 8, S = 1: MAE of the queries whose exact answer was lost'
set xlabel 'redundancy N/K'
set grid
set key outside bottom center horizontal maxrows 4
unset logscale y
set title 'coded estimate against the observed temperature'
set ylabel 'MAE (deg C)'
plot 'plot_data/berrut_chebyshev_related.dat' using 1:2 with linespoints lw 2 lc 1 dt 1 pt 7 title 'berrut chebyshev related', \
     'plot_data/berrut_chebyshev_unrelated.dat' using 1:2 with linespoints lw 2 lc 1 dt 2 pt 6 title 'berrut chebyshev unrelated', \
     'plot_data/berrut_systematic_related.dat' using 1:2 with linespoints lw 2 lc 2 dt 1 pt 7 title 'berrut systematic related', \
     'plot_data/berrut_systematic_unrelated.dat' using 1:2 with linespoints lw 2 lc 2 dt 2 pt 6 title 'berrut systematic unrelated', \
     'plot_data/spline_chebyshev_related.dat' using 1:2 with linespoints lw 2 lc 3 dt 1 pt 7 title 'spline chebyshev related', \
     'plot_data/spline_chebyshev_unrelated.dat' using 1:2 with linespoints lw 2 lc 3 dt 2 pt 6 title 'spline chebyshev unrelated', \
     'plot_data/spline_systematic_related.dat' using 1:2 with linespoints lw 2 lc 4 dt 1 pt 7 title 'spline systematic related', \
     'plot_data/spline_systematic_unrelated.dat' using 1:2 with linespoints lw 2 lc 4 dt 2 pt 6 title 'spline systematic unrelated', \
     'plot_data/reference.dat' using 1:2 with lines lw 3 lc 'black' title 'ridge fallback (test set)', \
     'plot_data/reference.dat' using 1:3 with lines lw 3 lc 'gray' title 'the model itself (test set)'
set logscale y
set title 'coded estimate against the model output'
set ylabel 'MAE (deg C)'
plot 'plot_data/berrut_chebyshev_related.dat' using 1:3 with linespoints lw 2 lc 1 dt 1 pt 7 title 'berrut chebyshev related', \
     'plot_data/berrut_chebyshev_unrelated.dat' using 1:3 with linespoints lw 2 lc 1 dt 2 pt 6 title 'berrut chebyshev unrelated', \
     'plot_data/berrut_systematic_related.dat' using 1:3 with linespoints lw 2 lc 2 dt 1 pt 7 title 'berrut systematic related', \
     'plot_data/berrut_systematic_unrelated.dat' using 1:3 with linespoints lw 2 lc 2 dt 2 pt 6 title 'berrut systematic unrelated', \
     'plot_data/spline_chebyshev_related.dat' using 1:3 with linespoints lw 2 lc 3 dt 1 pt 7 title 'spline chebyshev related', \
     'plot_data/spline_chebyshev_unrelated.dat' using 1:3 with linespoints lw 2 lc 3 dt 2 pt 6 title 'spline chebyshev unrelated', \
     'plot_data/spline_systematic_related.dat' using 1:3 with linespoints lw 2 lc 4 dt 1 pt 7 title 'spline systematic related', \
     'plot_data/spline_systematic_unrelated.dat' using 1:3 with linespoints lw 2 lc 4 dt 2 pt 6 title 'spline systematic unrelated', \
     'plot_data/reference.dat' using 1:4 with lines lw 3 lc 'black' title 'ridge fallback (test set)'
unset multiplot
