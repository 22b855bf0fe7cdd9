# SPDX-License-Identifier: GPL-2.0-or-later
# Ratio to native per workload per configuration, as grouped bars.
# Called by bench/run:
#   gnuplot -e "datafile='…/plot.dat'; varsfile='…/plot-vars.gp'; outfile='…'; subtitle='…'" plot.gp
# plot-vars.gp (written by report.py) sets ncols, barwidth and the y range, labels the
# bars that have no number (fails / unsupported) and draws each workload's target.

set terminal pngcairo size 1200,600 font "sans,10" noenhanced
set output outfile
load varsfile
set title "pinfs benchmark: throughput as a ratio to native (higher is better)\n" . subtitle
set style fill solid 0.85 border -1
set boxwidth barwidth
set key outside right top vertical
set ylabel "ratio to native"
set xlabel "workload (red dotted: the issue's target for that workload; rotated text: no number)"
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linewidth 1 front
plot for [j=2:ncols+1] datafile using ($0 + (j - 2 - (ncols - 1) / 2.0) * barwidth):j \
	with boxes title columnheader(j)
