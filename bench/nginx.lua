-- nginx on 127.0.0.1 answering the recorded responses, for the benchmarks:
--   plain   POST /v1/models: the created model (bench.bodies.realistic_response);
--           GET /v1/models/<id>: get_model's recorded answer; HTTP/1.1
--   h2      the GET over TLS with HTTP/2 (ALPN h2), at most 128 streams
--   h1tls   the same over TLS with HTTP/1.1 only
--   list    GET /v1/models?pageSize=500[&paginationToken=N]: page N of a
--           list of `models` copies of the recorded model (pages given)
--   files   on the plain server, GET /files/<name>: the file <dir>/files/<name>
--           as it is (sendfile), for bench/download.lua
-- The certificate is self-signed for 127.0.0.1; `cert` is its path.
local core = require "scenario.core"
local bodies = require "bench.bodies"
local sh = require("bench.stats").sh
local helper = require "spec.helper"
local free_port, write = helper.free_port, helper.write

local M = {}


-- The list pages: `models` models, PAGE to a page, each linking the next.
local PAGE = 500
local function write_pages(dir, models)
  local model = core.parse_json(bodies.realistic_response).model
  local pages = math.ceil(models / PAGE)
  for p = 1, pages do
    local items = {}
    for i = 1, math.min(PAGE, models - (p - 1) * PAGE) do
      model.id = ("model_%06d"):format((p - 1) * PAGE + i)
      items[i] = assert(core.to_json(model))
    end
    local next_token = p < pages and (',"nextPaginationToken":"%d"'):format(p + 1) or ""
    -- page 1 answers the request without a token
    write(("%s/pages/p%s.json"):format(dir, p == 1 and "" or tostring(p)),
      ('{"models":[%s]%s}'):format(table.concat(items, ","), next_token))
  end
  return pages
end

--- Starts nginx; opts.models: how many models the list serves (default 10,000).
function M.start(opts)
  opts = opts or {}
  local dir = sh("mktemp -d"):gsub("%s+$", "")
  sh(("mkdir -p %s/pages %s/files && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
    .. "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem 2>&1"):format(dir, dir, dir, dir))
  local get = assert(require("spec.support.replay").fixture("get_model").response.body)
  write(dir .. "/get.json", get)
  local models = opts.models or 10000
  local pages = write_pages(dir, models)
  local response = bodies.realistic_response:gsub("%s+$", "")
  assert(not response:find("[$'\\]"), "the response needs nginx escaping")
  local ports = { plain = free_port(), h2 = free_port(), h1tls = free_port(), list = free_port() }
  local get_location = ([[
    location ^~ /v1/models/ {
      default_type application/json;
      root %s;
      try_files /get.json =404;
    }]]):format(dir)
  write(dir .. "/nginx.conf", ([[
worker_processes 1;
daemon on;
user root;
pid %s/nginx.pid;
error_log %s/error.log;
events { worker_connections 4096; }
http {
  log_format bench '$connection $connection_requests $status $server_protocol';
  access_log %s/access.log bench;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  http2_max_concurrent_streams 128;
  client_body_temp_path %s/body;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  ssl_certificate %s/cert.pem;
  ssl_certificate_key %s/key.pem;
  server {
    listen 127.0.0.1:%d;
    location = /v1/models {
      default_type application/json;
      return 200 '%s';
    }
    location ^~ /files/ {
      default_type application/octet-stream;
      root %s;
      sendfile on;
    }
%s
  }
  server {
    listen 127.0.0.1:%d ssl http2;
%s
  }
  server {
    listen 127.0.0.1:%d ssl;
%s
  }
  server {
    listen 127.0.0.1:%d;
    location = /v1/models {
      default_type application/json;
      root %s/pages;
      try_files /p$arg_paginationToken.json =404;
    }
  }
}
]]):format(dir, dir, dir, dir, dir, dir, dir, dir, dir, dir, ports.plain, response, dir, get_location,
    ports.h2, get_location, ports.h1tls, get_location, ports.list, dir))
  sh(("nginx -c %s/nginx.conf -p %s 2>&1"):format(dir, dir))
  local server = { dir = dir, ports = ports, cert = dir .. "/cert.pem", models = models, pages = pages,
    page_size = PAGE, get_body = get }
  function server.url(which)
    return ("%s://127.0.0.1:%d/v1"):format((which == "h2" or which == "h1tls") and "https" or "http",
      ports[which])
  end
  function server.stop()
    pcall(sh, ("kill $(cat %s/nginx.pid) 2>/dev/null; sleep 0.2; rm -rf %s"):format(dir, dir))
  end
  function server.log_lines()
    local n = 0
    for _ in io.lines(dir .. "/access.log") do n = n + 1 end
    return n
  end
  -- Distinct connections among the log lines after `from`, the lines,
  -- and how many of them came over each protocol ("HTTP/2.0"...).
  function server.connections_since(from)
    local seen, count, i, protocols = {}, 0, 0, {}
    for line in io.lines(dir .. "/access.log") do
      i = i + 1
      if i > from then
        local c, proto = line:match("^(%d+) %d+ %d+ (%S+)")
        if not seen[c] then seen[c], count = true, count + 1 end
        protocols[proto] = (protocols[proto] or 0) + 1
      end
    end
    return count, i - from, protocols
  end
  return server
end

return M
