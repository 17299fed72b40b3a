set terminal pngcairo size 900,560 font ",10"
set output "optim_staleness.png"
set logscale y
set format y "10^{%L}"
set xlabel "epoch"
set ylabel "suboptimality F(x) - F*"
set yrange [1e-16:1]
set key outside right
set title "Elastic-net logistic regression, simulated executor (W workers, mean staleness about W minus 1)"
names = "sync-prox-SVRG DAP-SVRG-g1-W4 DAP-SVRG-auto-W4 DAP-SGD-W4 DAP-SVRG-g1-W8 DAP-SVRG-auto-W8 DAP-SGD-W8 DAP-SVRG-g1-W16 DAP-SVRG-auto-W16 DAP-SGD-W16"
plot for [i=0:9] "optim_curves.dat" index i using 1:2 with linespoints lw 2 pi 6 pt (i+1) title word(names, i+1)
