# Times R `survey` on the same synthetic EU-LFS file as scripts/bench-estimate.sh, and writes its
# estimates so they can be compared with incity's.
#   Rscript scripts/bench-r.R FILE OUT.csv [bootstrap]
suppressMessages(library(survey))
args <- commandArgs(TRUE)
f <- args[1]; out <- args[2]; boot <- length(args) > 2 && args[3] == "bootstrap"
options(survey.lonely.psu = "certainty")
eu <- c("AT","BE","BG","CY","CZ","DE","DK","EE","EL","ES","FI","FR","HR","HU","IE","IT","LT",
        "LU","LV","MT","NL","PL","PT","RO","SE","SI","SK")
t0 <- Sys.time()
d <- read.csv(f, stringsAsFactors = FALSE, na.strings = "")
d$cob <- ifelse(d$COUNTRYB == d$COUNTRY, "native", ifelse(d$COUNTRYB %in% eu, "eu_born", "non_eu_born"))
d$emp <- as.numeric(d$ILOSTAT == 1)
t1 <- Sys.time()
des <- svydesign(id = ~PSU, strata = ~STRATUM, weights = ~COEFFY, data = d, nest = TRUE)
sub <- subset(des, AGE >= 20 & AGE <= 64)
r <- svyby(~emp, ~REGION + cob, sub, svymean)
t2 <- Sys.time()
cat(sprintf("read %.2f s, linearised svyby %.2f s\n", as.numeric(t1 - t0, units = "secs"),
            as.numeric(t2 - t1, units = "secs")))
write.csv(data.frame(REGION = r$REGION, cob = r$cob, estimate = sprintf("%.15g", r$emp),
                     se = sprintf("%.15g", r$se)), out, row.names = FALSE)
if (boot) {
  t3 <- Sys.time()
  rep <- as.svrepdesign(des, type = "subbootstrap", replicates = 500)
  rsub <- subset(rep, AGE >= 20 & AGE <= 64)
  rb <- svyby(~emp, ~REGION + cob, rsub, svymean)
  t4 <- Sys.time()
  cat(sprintf("bootstrap (500 replicates) svyby %.2f s\n", as.numeric(t4 - t3, units = "secs")))
}
