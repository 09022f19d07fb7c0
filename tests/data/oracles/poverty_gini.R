# Independent reference values for the linearised standard errors of the at-risk-of-poverty
# rate and the Gini coefficient, for crates/data/tests/r_poverty_gini.rs.
#
# Usage: Rscript poverty_gini.R OUTDIR   (writes OUTDIR/eusilc_units.csv and
#                                         OUTDIR/poverty_gini_expected.csv)
#
# Plain R: the estimators and their influence functions are written out here, sharing no code
# with incity. Data: laeken's `eusilc` (14,827 persons; strata db040, PSUs db030 = households,
# weights rb050, equivalised income eqIncome), by sex (rb090) and the gap female - male.
#
# Definitions (Osier 2009, "Variance estimation for complex indicators of poverty and
# inequality using linearization techniques", Survey Research Methods 3(3); Deville 1999):
# - median: EU-SILC weighted median (first k with cumulative share >= 1/2; the mean of x_k and
#   x_k+1 when the share is exactly 1/2); threshold t = 0.6 median of the whole sample;
# - ARPR_d = sum_{i in d} w_i 1(y_i < t) / N_d;
# - kernel density f(x) = sum_i w_i phi((x - y_i)/h) / (h W), Gaussian kernel, bandwidth
#   h = sigma n^(-1/5), sigma the weighted standard deviation, n the number of persons;
# - z_i = 1(i in d) (1(y_i < t) - ARPR_d) / N_d
#         - 0.6 [f_d(t) / f(median)] (1(y_i <= median) - 1/2) / N,
#   with f_d(t) = sum_{i in d} w_i phi((t - y_i)/h) / (h N_d);
# - Gini_d = (2 sum_k w_k y_k C_k - sum_k w_k^2 y_k) / (N_d Y_d) - 1 (sorted by y, C_k the
#   cumulative weight), z_k = 2 (y_k C_k + Y_d - Y_{<=k}) / (N_d Y_d) - (G + 1)(1/N_d + y_k/Y_d);
# - variance: with-replacement PSU variance within strata,
#   V = sum_h n_h/(n_h - 1) sum_j (u_hj - mean_h u)^2, u_hj the PSU totals of w_i z_i.
suppressMessages(library(laeken))
args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "."
data(eusilc)
d <- eusilc[, c("db040", "db030", "rb050", "rb090", "eqIncome")]
write.csv(d, file.path(out_dir, "eusilc_units.csv"), row.names = FALSE)
# Computed from the file as written (15 significant digits), which incity reads.
d <- read.csv(file.path(out_dir, "eusilc_units.csv"))

y <- d$eqIncome
w <- d$rb050
N <- sum(w)
eu_median <- function(y, w) {
  o <- order(y); y <- y[o]; w <- w[o]
  share <- cumsum(w) / sum(w)
  k <- which(share >= 0.5)[1]
  if (share[k] == 0.5 && k < length(y)) (y[k] + y[k + 1]) / 2 else y[k]
}
psu_variance <- function(u) {
  totals <- aggregate(u, by = list(h = d$db040, j = d$db030), FUN = sum)
  v <- 0
  for (h in unique(totals$h)) {
    t <- totals$x[totals$h == h]
    n <- length(t)
    v <- v + n / (n - 1) * sum((t - mean(t))^2)
  }
  v
}
med <- eu_median(y, w)
thr <- 0.6 * med
mu <- sum(w * y) / N
sigma <- sqrt(sum(w * (y - mu)^2) / N)
h <- sigma * length(y)^(-1/5)
f_med <- sum(w * dnorm((med - y) / h)) / (h * N)

arpr_z <- function(ind) {
  Nd <- sum(w[ind])
  rate <- sum(w[ind] * (y[ind] < thr)) / Nd
  f_thr <- sum(w[ind] * dnorm((thr - y[ind]) / h)) / (h * Nd)
  z <- ind * ((y < thr) - rate) / Nd - 0.6 * f_thr / f_med * ((y <= med) - 0.5) / N
  list(estimate = rate, z = z)
}
gini_z <- function(ind) {
  z <- numeric(length(y))
  idx <- which(ind)
  o <- idx[order(y[idx])]
  yy <- y[o]; ww <- w[o]
  Nd <- sum(ww); Yd <- sum(ww * yy)
  C <- cumsum(ww); Yle <- cumsum(ww * yy)
  g <- (2 * sum(ww * yy * C) - sum(ww^2 * yy)) / (Nd * Yd) - 1
  z[o] <- 2 * (yy * C + Yd - Yle) / (Nd * Yd) - (g + 1) * (1 / Nd + yy / Yd)
  list(estimate = g, z = z)
}

rows <- list()
add <- function(statistic, domain, est, z) {
  rows[[length(rows) + 1]] <<- data.frame(
    statistic = statistic, domain = domain, estimate = sprintf("%.17g", est),
    se = sprintf("%.17g", sqrt(psu_variance(w * z))))
}
for (stat in c("arpr", "gini")) {
  fun <- if (stat == "arpr") arpr_z else gini_z
  all <- fun(rep(TRUE, length(y)))
  add(stat, "all", all$estimate, all$z)
  f <- fun(d$rb090 == "female")
  m <- fun(d$rb090 == "male")
  add(stat, "female", f$estimate, f$z)
  add(stat, "male", m$estimate, m$z)
  add(stat, "female minus male", f$estimate - m$estimate, f$z - m$z)
}
# laeken's own point estimates (a second, independent check of the points).
rows[[length(rows) + 1]] <- data.frame(
  statistic = "laeken-arpr", domain = "all",
  estimate = sprintf("%.17g", arpr("eqIncome", weights = "rb050", data = eusilc)$value / 100),
  se = "")
rows[[length(rows) + 1]] <- data.frame(
  statistic = "laeken-gini", domain = "all",
  estimate = sprintf("%.17g", gini("eqIncome", weights = "rb050", data = eusilc)$value / 100),
  se = "")
write.csv(do.call(rbind, rows), file.path(out_dir, "poverty_gini_expected.csv"),
          row.names = FALSE)
