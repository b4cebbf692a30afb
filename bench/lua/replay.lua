-- Replays the requests bench/load.py wrote for wrk: one file per wrk thread, requests-<n>.txt, one
-- request a line, tab-separated: method, path, body, then "Name: value" headers.
--
--   wrk -t2 -c8 -d20s -s bench/lua/replay.lua http://127.0.0.1:PORT -- DIR CYCLE STATUS [LOCATION]
--
-- CYCLE 1 starts the list again when it ends (a page asked again and again); 0 sends each request once
-- (a draft is filed once): at its end the thread stops, and reports that it ran out.
-- A response counts as expected when its status is STATUS and, if LOCATION (a Lua pattern) is given,
-- its Location header matches it. done() prints one line, "LOAD_RESULT {json}", for bench/load.py.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   cycle = args[2] == "1"
   expect_status = tonumber(args[3])
   expect_location = args[4]
   requests = {}
   for line in io.lines(args[1] .. "/requests-" .. id .. ".txt") do
      local fields = {}
      for field in (line .. "\t"):gmatch("([^\t]*)\t") do
         table.insert(fields, field)
      end
      local headers = { Host = wrk.headers["Host"] }
      for i = 4, #fields do
         local name, value = fields[i]:match("^([^:]+): (.*)$")
         headers[name] = value
      end
      local body = nil
      if fields[3] ~= "" then
         body = fields[3]
         headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      table.insert(requests, wrk.format(fields[1], fields[2], headers, body))
   end
   position = 0
   ok, unexpected, ran_out = 0, 0, 0
   first_unexpected = ""
   -- Returned as the thread stops, never sent.
   exhausted = wrk.format("GET", "/bench/no-more-requests/", { Host = wrk.headers["Host"] })
end

function request()
   position = position + 1
   if position > #requests then
      if cycle then
         position = 1
      else
         -- Nothing left to send: this thread stops (its in-flight requests are dropped).
         ran_out = ran_out + 1
         wrk.thread:stop()
         return exhausted
      end
   end
   return requests[position]
end

function response(status, headers, body)
   local location = headers["Location"] or ""
   if status == expect_status and (expect_location == nil or location:match(expect_location)) then
      ok = ok + 1
   else
      unexpected = unexpected + 1
      if first_unexpected == "" then
         first_unexpected = status .. " " .. location
      end
   end
end

function done(summary, latency, requests)
   local ok, unexpected, ran_out, first = 0, 0, 0, ""
   for _, thread in ipairs(threads) do
      ok = ok + thread:get("ok")
      unexpected = unexpected + thread:get("unexpected")
      ran_out = ran_out + thread:get("ran_out")
      if first == "" then
         first = thread:get("first_unexpected")
      end
   end
   local errors = summary.errors
   io.write(string.format(
      '\nLOAD_RESULT {"requests": %d, "duration_us": %d, "ok": %d, "unexpected": %d, "ran_out": %d, '
         .. '"first_unexpected": "%s", "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, '
         .. '"socket_errors": %d, "timeouts": %d}\n',
      summary.requests, summary.duration, ok, unexpected, ran_out, first:gsub('[\\"]', ""),
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
      errors.connect + errors.read + errors.write, errors.timeout
   ))
end
