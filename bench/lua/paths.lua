-- GET a path drawn at random per request from the file given as args[1] (one path a line,
-- from the server root: /fhir/Patient?family=...).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local paths
local accept = { ["Accept"] = "application/fhir+json" }

setup = common.setup
done = common.done

function init(args)
  paths = common.read_lines(args[1])
  common.seed()
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], accept)
end

