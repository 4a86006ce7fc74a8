# The table of `make bench` from its raw rows (one run each):
#   seq mode config rep hold rate p50 p99 conns cpu_us rss_kb closes lost
# A run's base: the mean of the no-tracer runs just before and after it (same mode and open
# connections).  A line that is not a row (bench/pool.sh puts one between two runs' rows) is a
# boundary the search for a base does not cross.
function median(arr, n,    i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
function base_of(r, field,    i, s, n) {
	s = 0; n = 0
	for (i = r - 1; i >= 1 && !boundary[i]; i--) if (same(i, r)) { s += col[i, field]; n++; break }
	for (i = r + 1; i <= NR && !boundary[i]; i++) if (same(i, r)) { s += col[i, field]; n++; break }
	return n ? s / n : 0
}
function same(i, r) { return col[i, 3] == "none" && col[i, 2] == col[r, 2] && col[i, 5] == col[r, 5] }
NF != 13 { boundary[NR] = 1; next }
{ for (f = 1; f <= NF; f++) col[NR, f] = $f }
END {
	for (r = 1; r <= NR; r++) {
		if (col[r, 3] == "none" || !(b = base_of(r, 6))) continue
		g = col[r, 2] SUBSEP col[r, 3] SUBSEP col[r, 5]
		k = ++cnt[g]
		thr[g, k] = col[r, 6] / b
		l50[g, k] = col[r, 7] / base_of(r, 7)
		l99[g, k] = col[r, 8] / base_of(r, 8)
		cpum[g, k] = col[r, 10] / col[r, 9] # µs per connection = s per million
		if (col[r, 11] > rss[g]) rss[g] = col[r, 11]
		miss[g] += 2 * col[r, 9] - col[r, 12]
		lost[g] += col[r, 13]
		conns[g] += col[r, 9]
		groups[g] = 1
	}
	print "| mode | open conns | tracer | throughput vs none: median (min-max) | p50 latency ratio | p99 latency ratio | tracer CPU s / 1M conns | tracer peak RSS MB | events lost | closes missing / expected |"
	print "|---|---|---|---|---|---|---|---|---|---|"
	for (g in groups) order[++ng] = g
	for (i = 1; i <= ng; i++) for (j = i + 1; j <= ng; j++) if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
	for (i = 1; i <= ng; i++) {
		g = order[i]; split(g, p, SUBSEP); n = cnt[g]
		mn = 1e9; mx = 0
		for (k = 1; k <= n; k++) { a[k] = thr[g, k]; if (a[k] < mn) mn = a[k]; if (a[k] > mx) mx = a[k] }
		mt = median(a, n)
		for (k = 1; k <= n; k++) a[k] = l50[g, k]; m50 = median(a, n)
		for (k = 1; k <= n; k++) a[k] = l99[g, k]; m99 = median(a, n)
		for (k = 1; k <= n; k++) a[k] = cpum[g, k]; mc = median(a, n)
		printf "| %s | %s | %s | %.2f (%.2f-%.2f) | %.2f | %.2f | %.2f | %.1f | %d | %d / %d |\n",
			p[1], p[3], p[2], mt, mn, mx, m50, m99, mc, rss[g] / 1024, lost[g], miss[g], 2 * conns[g]
	}
}
