-- busted output handler: the usual terminal report, then one last line
-- "N passed, M failed" (M counts failures and errors) for make test and CI.
return function(options)
  local busted = require "busted"
  local handler = require "busted.outputHandlers.utfTerminal"(options)
  local subscribe = handler.subscribe
  -- Subscribing after the terminal handler puts this line after its report.
  function handler.subscribe(h, opts)
    subscribe(h, opts)
    busted.subscribe({ "suite", "end" }, function()
      io.write(("%d passed, %d failed\n"):format(handler.successesCount,
        handler.failuresCount + handler.errorsCount))
      io.flush()
      return nil, true
    end)
  end
  return handler
end
