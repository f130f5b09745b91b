-- make lint runs luacheck over the Lua sources with this configuration.
std = "max"
max_line_length = 120
files["spec"] = { std = "+busted" }
-- Recorded bodies are kept byte for byte, on one line.
files["spec/fixtures"] = { max_line_length = false }
exclude_files = { "build/**" }
-- The LÖVE example runs inside LÖVE, which provides the love global.
files["examples/love"] = { std = "+love" }
