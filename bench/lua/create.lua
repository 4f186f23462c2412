-- POST /fhir/Patient with the Patient JSON in the file given as args[1].
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local prepared

setup = common.setup
done = common.done

function init(args)
  local headers = {
    ["Content-Type"] = "application/fhir+json",
    ["Accept"] = "application/fhir+json",
  }
  prepared = wrk.format("POST", "/fhir/Patient", headers, common.read_file(args[1]))
end

function request()
  return prepared
end
