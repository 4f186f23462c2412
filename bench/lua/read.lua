-- GET /fhir/Patient/{id}, the id drawn at random per request from the file given as args[1].
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local ids
local accept = { ["Accept"] = "application/fhir+json" }

setup = common.setup
done = common.done

function init(args)
  ids = common.read_lines(args[1])
  common.seed()
end

function request()
  return wrk.format("GET", "/fhir/Patient/" .. ids[math.random(#ids)], accept)
end
