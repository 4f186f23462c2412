-- GET /fhir/Patient/{id} with a bearer token: ids from the file args[1], the token in args[2].
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local ids
local headers

setup = common.setup
done = common.done

function init(args)
  ids = common.read_lines(args[1])
  headers = { ["Accept"] = "application/fhir+json", ["Authorization"] = "Bearer " .. args[2] }
  common.seed()
end

function request()
  return wrk.format("GET", "/fhir/Patient/" .. ids[math.random(#ids)], headers)
end
