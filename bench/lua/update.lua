-- PUT /fhir/Patient/{id}, the id drawn at random per request from the file given as args[2];
-- args[1] is a Patient JSON whose id is the placeholder __ID__, replaced by the drawn id.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local ids, before, after
local headers = {
  ["Content-Type"] = "application/fhir+json",
  ["Accept"] = "application/fhir+json",
}

setup = common.setup
done = common.done

function init(args)
  local template = common.read_file(args[1])
  local at = assert(template:find("__ID__", 1, true), "no __ID__ in " .. args[1])
  before, after = template:sub(1, at - 1), template:sub(at + 6)
  ids = common.read_lines(args[2])
  common.seed()
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("PUT", "/fhir/Patient/" .. id, headers, before .. id .. after)
end
