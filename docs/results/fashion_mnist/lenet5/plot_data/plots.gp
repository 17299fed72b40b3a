# Made by nercc_fashion_mnist_experiment; run from the output directory: gnuplot plot_data/plots.gp
set terminal pngcairo size 960,720 noenhanced
set datafile missing '?'
set key outside below
set grid
set xlabel 'stragglers S'

set output 'lenet5_N20_K10_mse.png'
set logscale y
set ylabel 'MSE vs uncoded logits'
set title 'lenet5, N = 20, K = 10: MSE (replication, uncoded: exact, not shown)'
plot 'plot_data/lenet5_N20_K10.dat' using 1:2:3 with yerrorlines title 'NeRCC (tuned)', 'plot_data/lenet5_N20_K10.dat' using 1:6:7 with yerrorlines title 'NeRCC (lambda = 0)', 'plot_data/lenet5_N20_K10.dat' using 1:10:11 with yerrorlines title 'Berrut (BACC)', 'plot_data/lenet5_N20_K10.dat' using 1:14:15 with yerrorlines title 'NeRCC + greedy chain', 'plot_data/lenet5_N20_K10.dat' using 1:18:19 with yerrorlines title 'NeRCC + 2-opt', 'plot_data/lenet5_N20_K10.dat' using 1:22:23 with yerrorlines title 'NeRCC + principal direction', 'plot_data/lenet5_N20_K10.dat' using 1:26:27 with yerrorlines title 'NeRCC + 2-opt, wide query points', 'plot_data/lenet5_N20_K10.dat' using 1:30:31 with yerrorlines title 'Berrut + 2-opt', 'plot_data/lenet5_N20_K10.dat' using 1:34:35 with yerrorlines title 'NeRCC + 2-opt, chain-distance query points'
unset logscale y
set output 'lenet5_N20_K10_relacc.png'
set ylabel 'RelAcc (argmax agreement)'
set title 'lenet5, N = 20, K = 10: RelAcc'
plot 'plot_data/lenet5_N20_K10.dat' using 1:4:5 with yerrorlines title 'NeRCC (tuned)', 'plot_data/lenet5_N20_K10.dat' using 1:8:9 with yerrorlines title 'NeRCC (lambda = 0)', 'plot_data/lenet5_N20_K10.dat' using 1:12:13 with yerrorlines title 'Berrut (BACC)', 'plot_data/lenet5_N20_K10.dat' using 1:16:17 with yerrorlines title 'NeRCC + greedy chain', 'plot_data/lenet5_N20_K10.dat' using 1:20:21 with yerrorlines title 'NeRCC + 2-opt', 'plot_data/lenet5_N20_K10.dat' using 1:24:25 with yerrorlines title 'NeRCC + principal direction', 'plot_data/lenet5_N20_K10.dat' using 1:28:29 with yerrorlines title 'NeRCC + 2-opt, wide query points', 'plot_data/lenet5_N20_K10.dat' using 1:32:33 with yerrorlines title 'Berrut + 2-opt', 'plot_data/lenet5_N20_K10.dat' using 1:36:37 with yerrorlines title 'NeRCC + 2-opt, chain-distance query points', 'plot_data/lenet5_N20_K10.dat' using 1:40:41 with yerrorlines title 'replication', 'plot_data/lenet5_N20_K10.dat' using 1:44:45 with yerrorlines title 'uncoded'

set output 'lenet5_N60_K10_mse.png'
set logscale y
set ylabel 'MSE vs uncoded logits'
set title 'lenet5, N = 60, K = 10: MSE (replication, uncoded: exact, not shown)'
plot 'plot_data/lenet5_N60_K10.dat' using 1:2:3 with yerrorlines title 'NeRCC (tuned)', 'plot_data/lenet5_N60_K10.dat' using 1:6:7 with yerrorlines title 'NeRCC (lambda = 0)', 'plot_data/lenet5_N60_K10.dat' using 1:10:11 with yerrorlines title 'Berrut (BACC)', 'plot_data/lenet5_N60_K10.dat' using 1:14:15 with yerrorlines title 'NeRCC + greedy chain', 'plot_data/lenet5_N60_K10.dat' using 1:18:19 with yerrorlines title 'NeRCC + 2-opt', 'plot_data/lenet5_N60_K10.dat' using 1:22:23 with yerrorlines title 'NeRCC + principal direction', 'plot_data/lenet5_N60_K10.dat' using 1:26:27 with yerrorlines title 'NeRCC + 2-opt, wide query points', 'plot_data/lenet5_N60_K10.dat' using 1:30:31 with yerrorlines title 'Berrut + 2-opt', 'plot_data/lenet5_N60_K10.dat' using 1:34:35 with yerrorlines title 'NeRCC + 2-opt, chain-distance query points'
unset logscale y
set output 'lenet5_N60_K10_relacc.png'
set ylabel 'RelAcc (argmax agreement)'
set title 'lenet5, N = 60, K = 10: RelAcc'
plot 'plot_data/lenet5_N60_K10.dat' using 1:4:5 with yerrorlines title 'NeRCC (tuned)', 'plot_data/lenet5_N60_K10.dat' using 1:8:9 with yerrorlines title 'NeRCC (lambda = 0)', 'plot_data/lenet5_N60_K10.dat' using 1:12:13 with yerrorlines title 'Berrut (BACC)', 'plot_data/lenet5_N60_K10.dat' using 1:16:17 with yerrorlines title 'NeRCC + greedy chain', 'plot_data/lenet5_N60_K10.dat' using 1:20:21 with yerrorlines title 'NeRCC + 2-opt', 'plot_data/lenet5_N60_K10.dat' using 1:24:25 with yerrorlines title 'NeRCC + principal direction', 'plot_data/lenet5_N60_K10.dat' using 1:28:29 with yerrorlines title 'NeRCC + 2-opt, wide query points', 'plot_data/lenet5_N60_K10.dat' using 1:32:33 with yerrorlines title 'Berrut + 2-opt', 'plot_data/lenet5_N60_K10.dat' using 1:36:37 with yerrorlines title 'NeRCC + 2-opt, chain-distance query points', 'plot_data/lenet5_N60_K10.dat' using 1:40:41 with yerrorlines title 'replication', 'plot_data/lenet5_N60_K10.dat' using 1:44:45 with yerrorlines title 'uncoded'

set output 'lenet5_N40_K20_mse.png'
set logscale y
set ylabel 'MSE vs uncoded logits'
set title 'lenet5, N = 40, K = 20: MSE (replication, uncoded: exact, not shown)'
plot 'plot_data/lenet5_N40_K20.dat' using 1:2:3 with yerrorlines title 'NeRCC (tuned)', 'plot_data/lenet5_N40_K20.dat' using 1:6:7 with yerrorlines title 'NeRCC (lambda = 0)', 'plot_data/lenet5_N40_K20.dat' using 1:10:11 with yerrorlines title 'Berrut (BACC)', 'plot_data/lenet5_N40_K20.dat' using 1:14:15 with yerrorlines title 'NeRCC + greedy chain', 'plot_data/lenet5_N40_K20.dat' using 1:18:19 with yerrorlines title 'NeRCC + 2-opt', 'plot_data/lenet5_N40_K20.dat' using 1:22:23 with yerrorlines title 'NeRCC + principal direction', 'plot_data/lenet5_N40_K20.dat' using 1:26:27 with yerrorlines title 'NeRCC + 2-opt, wide query points', 'plot_data/lenet5_N40_K20.dat' using 1:30:31 with yerrorlines title 'Berrut + 2-opt', 'plot_data/lenet5_N40_K20.dat' using 1:34:35 with yerrorlines title 'NeRCC + 2-opt, chain-distance query points'
unset logscale y
set output 'lenet5_N40_K20_relacc.png'
set ylabel 'RelAcc (argmax agreement)'
set title 'lenet5, N = 40, K = 20: RelAcc'
plot 'plot_data/lenet5_N40_K20.dat' using 1:4:5 with yerrorlines title 'NeRCC (tuned)', 'plot_data/lenet5_N40_K20.dat' using 1:8:9 with yerrorlines title 'NeRCC (lambda = 0)', 'plot_data/lenet5_N40_K20.dat' using 1:12:13 with yerrorlines title 'Berrut (BACC)', 'plot_data/lenet5_N40_K20.dat' using 1:16:17 with yerrorlines title 'NeRCC + greedy chain', 'plot_data/lenet5_N40_K20.dat' using 1:20:21 with yerrorlines title 'NeRCC + 2-opt', 'plot_data/lenet5_N40_K20.dat' using 1:24:25 with yerrorlines title 'NeRCC + principal direction', 'plot_data/lenet5_N40_K20.dat' using 1:28:29 with yerrorlines title 'NeRCC + 2-opt, wide query points', 'plot_data/lenet5_N40_K20.dat' using 1:32:33 with yerrorlines title 'Berrut + 2-opt', 'plot_data/lenet5_N40_K20.dat' using 1:36:37 with yerrorlines title 'NeRCC + 2-opt, chain-distance query points', 'plot_data/lenet5_N40_K20.dat' using 1:40:41 with yerrorlines title 'replication', 'plot_data/lenet5_N40_K20.dat' using 1:44:45 with yerrorlines title 'uncoded'
