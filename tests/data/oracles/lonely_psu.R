# Reference values for single-PSU ("lonely") strata, design degrees of freedom and share
# intervals, from R `survey` (version 4.1), for crates/data/tests/r_lonely_psu.rs.
#
# Usage: Rscript lonely_psu.R OUTDIR   (writes OUTDIR/lonely_psu_data.csv and
#                                        OUTDIR/lonely_psu_expected.csv)
#
# The data are R survey's `apiclus1` (15 school districts, all their schools), with the
# districts grouped into 8 strata of which three (s3, s5, s8) hold a single district:
#   s1: 61 135 | s2: 178 197 255 | s3: 406 | s4: 413 437 | s5: 448 | s6: 510 568 637 |
#   s7: 716 778 | s8: 815
# `collapsed` applies incity's neighbour rule by hand: a single-PSU stratum joins the next
# stratum in code order (s3 -> s3+s4, s5 -> s5+s6) and the last one joins the one before
# (s8 -> s7+s8).
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args) >= 1) args[1] else "."
data(api)
d <- apiclus1
strata_of <- c("61" = "s1", "135" = "s1", "178" = "s2", "197" = "s2", "255" = "s2",
               "406" = "s3", "413" = "s4", "437" = "s4", "448" = "s5", "510" = "s6",
               "568" = "s6", "637" = "s6", "716" = "s7", "778" = "s7", "815" = "s8")
collapsed_of <- c(s1 = "s1", s2 = "s2", s3 = "s3+s4", s4 = "s3+s4", s5 = "s5+s6",
                  s6 = "s5+s6", s7 = "s7+s8", s8 = "s7+s8")
d$stratum <- unname(strata_of[as.character(d$dnum)])
d$collapsed <- unname(collapsed_of[d$stratum])
d$yes <- as.numeric(d$sch.wide == "Yes")
d$high <- as.numeric(d$api00 >= 800)
write.csv(d[, c("dnum", "stratum", "collapsed", "fpc", "pw", "stype", "api00", "enroll",
                "api.stu", "yes", "high")],
          file.path(out_dir, "lonely_psu_data.csv"), row.names = FALSE)

rows <- list()
add <- function(rule, variance, statistic, domain, est, se, extra = list()) {
  r <- data.frame(rule = rule, variance = variance, statistic = statistic, domain = domain,
                  estimate = sprintf("%.17g", est), se = sprintf("%.17g", se),
                  df = if (is.null(extra$df)) "" else sprintf("%d", extra$df),
                  ci_low = if (is.null(extra$lo)) "" else sprintf("%.17g", extra$lo),
                  ci_high = if (is.null(extra$hi)) "" else sprintf("%.17g", extra$hi))
  rows[[length(rows) + 1]] <<- r
}
statistics <- function(des, rule, variance) {
  m <- svymean(~api00, des); add(rule, variance, "mean(api00)", "all", coef(m), SE(m))
  t <- svytotal(~enroll, des); add(rule, variance, "total(enroll)", "all", coef(t), SE(t))
  s <- svymean(~yes, des); add(rule, variance, "share(yes = 1)", "all", coef(s), SE(s))
  r <- svyratio(~api.stu, ~enroll, des)
  add(rule, variance, "ratio(api.stu, enroll)", "all", coef(r), SE(r))
  b <- svyby(~api00, ~stype, des, svymean)
  for (i in seq_len(nrow(b))) add(rule, variance, "mean(api00)", paste0("stype=", b$stype[i]), b$api00[i], b$se[i])
}
for (rule in c("certainty", "adjust", "average")) {
  options(survey.lonely.psu = rule)
  des <- svydesign(id = ~dnum, strata = ~stratum, weights = ~pw, data = d)
  statistics(des, rule, "linearization")
  statistics(as.svrepdesign(des, type = "JKn"), rule, "jkn")
}
options(survey.lonely.psu = "fail")
col <- svydesign(id = ~dnum, strata = ~collapsed, weights = ~pw, data = d)
statistics(col, "collapse", "linearization")
statistics(as.svrepdesign(col, type = "JKn"), "collapse", "jkn")

# JK1 with a finite population correction (one stratum: 15 of 757 districts).
jf <- as.svrepdesign(svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = d), type = "JK1")
m <- svymean(~api00, jf); add("fail", "jk1-fpc", "mean(api00)", "all", coef(m), SE(m))
b <- svyby(~api00, ~stype, jf, svymean)
for (i in seq_len(nrow(b))) add("fail", "jk1-fpc", "mean(api00)", paste0("stype=", b$stype[i]), b$api00[i], b$se[i])

# Share intervals on the design degrees of freedom (collapsed design: 15 PSUs - 5 strata).
for (v in c("yes", "high")) {
  f <- as.formula(paste0("~", v))
  lg <- svyciprop(f, col, method = "xlogit")
  add("collapse", "logit", paste0("share(", v, " = 1)"), "all", coef(lg), SE(lg),
      list(df = degf(col), lo = confint(lg)[1], hi = confint(lg)[2]))
  kg <- svyciprop(f, col, method = "beta")
  add("collapse", "korn-graubard", paste0("share(", v, " = 1)"), "all", coef(kg), SE(kg),
      list(df = degf(col), lo = confint(kg)[1], hi = confint(kg)[2]))
}
# A domain: schools of type H (its own degrees of freedom).
h <- subset(col, stype == "H")
lg <- svyciprop(~yes, h, method = "xlogit")
add("collapse", "logit", "share(yes = 1)", "stype=H", coef(lg), SE(lg),
    list(df = degf(h), lo = confint(lg)[1], hi = confint(lg)[2]))
m <- svymean(~api00, h)
ci <- confint(m, df = degf(h))
add("collapse", "t", "mean(api00)", "stype=H", coef(m), SE(m), list(df = degf(h), lo = ci[1], hi = ci[2]))
write.csv(do.call(rbind, rows), file.path(out_dir, "lonely_psu_expected.csv"), row.names = FALSE)
