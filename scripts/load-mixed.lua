-- wrk script: a mixed load over the portal's pages, API answers and exports, each connection
-- walking the list from its own starting point. Used by scripts/load-test.sh.
local paths = {
  "/",
  "/profile/AT002C",
  "/profile/AT002C/figures.csv",
  "/explore?indicator=employment_rate_20_64&level=city&group=non_eu_born&measure=difference",
  "/explore.csv?indicator=employment_rate_20_64&level=nuts2&group=non_eu_born",
  "/indicators/employment_rate_20_64?level=city",
  "/indicators/employment_rate_20_64/figures.csv",
  "/compare?geo=AT002C,AT001C",
  "/api/v1/figures?level=country",
  "/api/v1/explore?indicator=employment_rate_20_64&level=nuts2",
  "/api/v1/profile/AT002C",
  "/api/v1/rank/employment_rate_20_64/city?group=non_eu_born",
  "/api/v1/peers/AT002C",
  "/api/v1/trend/employment_rate_20_64/AT",
  "/toolbox",
  "/modules",
  "/glossary",
  "/healthz",
}
local counter = 0

function setup(thread)
  thread:set("offset", counter * 7)
  counter = counter + 1
end

local i = 0
function request()
  i = i + 1
  return wrk.format("GET", paths[((i + offset) % #paths) + 1])
end
