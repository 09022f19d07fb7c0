# Writes the SAS, Stata and SPSS files of crates/data/tests/statistical_files.rs with R haven
# (an independent writer: CRAN's haven 2.5.1, Debian package r-cran-haven), and the same
# records as CSV. Run from this folder: Rscript make.R
#
# The records: ten persons of two countries. COUNTRY is a labelled number in Stata and SPSS
# (1 "AT", 2 "BE": what Stata's `encode` makes), text in SAS (SAS files carry no value
# labels); SEX is labelled 1 "Male" 2 "Female"; ILOSTAT has a "no answer" code declared
# missing: SPSS user-missing value 9, Stata extended missing value .a, SAS missing.
suppressMessages(library(haven))
country <- c(1, 1, 1, 1, 1, 2, 2, 2, 2, 2)
sex <- c(1, 2, 1, 2, 2, 1, 1, 2, 1, 2)
age <- c(25, 34, 47, 52, 61, 19, 38, 44, 29, 70)
weight <- c(1234.5, 980.25, 1500, 1100.75, 875.125, 2100, 1999.5, 2400.25, 1800, 1650.5)
ilo <- c(1, 2, 1, NA, 3, 3, 1, NA, 2, 3)
region <- c(rep("AT13", 5), rep("BE10", 5))

sav <- data.frame(
  COUNTRY = labelled(country, c(AT = 1, BE = 2)),
  YEAR = 2024,
  REGION = region,
  SEX = labelled(sex, c(Male = 1, Female = 2)),
  AGE = age,
  WEIGHT = weight,
  ILOSTAT = labelled_spss(ifelse(is.na(ilo), 9, ilo),
                          c(employed = 1, unemployed = 2, inactive = 3, `no answer` = 9),
                          na_values = 9)
)
write_sav(sav, "survey.sav")

dta <- sav
dta$ILOSTAT <- labelled(ifelse(is.na(ilo), tagged_na("a"), ilo),
                        c(employed = 1, unemployed = 2, inactive = 3, `no answer` = tagged_na("a")))
write_dta(dta, "survey.dta", version = 14)

sas <- data.frame(COUNTRY = c("AT", "BE")[country], YEAR = 2024, REGION = region, SEX = sex,
                  AGE = age, WEIGHT = weight, ILOSTAT = ilo)
suppressWarnings(write_sas(sas, "survey.sas7bdat"))
write.csv(sas, "survey.csv", row.names = FALSE, na = "")

# Read back with haven, as a check that the files hold what was meant.
stopifnot(all(is.na(read_sav("survey.sav", user_na = FALSE)$ILOSTAT) == is.na(ilo)))
stopifnot(all(is.na(read_dta("survey.dta")$ILOSTAT) == is.na(ilo)))
stopifnot(all(read_sas("survey.sas7bdat")$WEIGHT == weight))
