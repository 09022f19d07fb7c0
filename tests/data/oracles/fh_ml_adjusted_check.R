# Independent plain-R check of the Fay-Herriot ML and adjusted-REML (Li & Lahiri 2010;
# Yoshimori & Lahiri 2014) fits on the milk data, with the Datta-Lahiri (ML) and the
# adjusted-REML (bias-corrected Prasad-Rao) MSEs.
# The variance is the root of the score found by uniroot (not Fisher scoring), and the REML
# score uses the explicit m x m projection matrix P (incity uses traces without forming P).
# Usage: Rscript fh_ml_adjusted_check.R milk.csv out.csv
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
y <- d$direct_est; psi <- d$std_error^2
X <- model.matrix(~ factor(major_area), d); m <- nrow(X)
proj <- function(s2) {
  Vi <- 1 / (s2 + psi)
  B <- solve(t(X) %*% (X * Vi))
  P <- diag(Vi) - (X * Vi) %*% B %*% t(X * Vi)
  list(Vi = Vi, B = B, P = P, beta = B %*% t(X * Vi) %*% y)
}
score_ml <- function(s2) {
  p <- proj(s2); r <- y - X %*% p$beta
  -0.5 * sum(p$Vi) + 0.5 * sum(p$Vi^2 * r^2)
}
score_adj <- function(s2) {
  p <- proj(s2); Py <- p$P %*% y
  -0.5 * sum(diag(p$P)) + 0.5 * sum(Py^2) + 1 / s2
}
# Yoshimori-Lahiri: the REML score plus the derivative of log(atan(tr(I - B))) / m.
yl_score <- function(s2) {
  t <- sum(s2 / (s2 + psi)); dt <- sum(psi / (s2 + psi)^2)
  dt / (m * atan(t) * (1 + t^2))
}
score_yl <- function(s2) {
  p <- proj(s2); Py <- p$P %*% y
  -0.5 * sum(diag(p$P)) + 0.5 * sum(Py^2) + yl_score(s2)
}
out <- NULL
for (method in c("ml", "adjusted-reml", "adjusted-reml-yl")) {
  f <- switch(method, "ml" = score_ml, "adjusted-reml" = score_adj, score_yl)
  s2 <- uniroot(f, c(1e-6, 1), tol = 1e-16, maxiter = 1000)$root
  p <- proj(s2); V <- s2 + psi; gam <- s2 / V
  eblup <- X %*% p$beta + gam * (y - X %*% p$beta)
  g1 <- gam * psi
  g2 <- (1 - gam)^2 * rowSums((X %*% p$B) * X)
  g3 <- psi^2 / V^3 * (2 / sum(p$Vi^2))
  bias <- switch(method,
    "ml" = -sum(diag(p$B %*% t(X) %*% (X * p$Vi^2))) / sum(p$Vi^2),
    "adjusted-reml" = (2 / s2) / sum(p$Vi^2),
    2 * yl_score(s2) / sum(p$Vi^2))
  mse <- g1 + g2 + 2 * g3 - bias * (1 - gam)^2
  out <- rbind(out, data.frame(method = method, small_area = d$small_area, sigma2_u = s2,
                               beta = paste(format(p$beta, digits = 17), collapse = " "),
                               eblup = eblup, mse = mse))
}
write.csv(format(out, digits = 17), args[2], row.names = FALSE, quote = FALSE)
