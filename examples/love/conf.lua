-- LÖVE's configuration for the demo (main.lua). With
-- SCENARIO_LOVE_HEADLESS=1 it runs without a window or graphics, and
-- prints its progress instead of drawing it (it cannot draw its sprite
-- then); with SCENARIO_LOVE_CHECK=1 (make test-love, under a virtual X
-- display) its frames are not held to the display's refresh.
local headless = os.getenv("SCENARIO_LOVE_HEADLESS") == "1"

function love.conf(t)
  t.identity = "scenario-training-demo"
  t.window.title = "scenario: a sprite from a LoRA"
  t.window.width, t.window.height = 640, 320
  t.modules.audio, t.modules.sound = false, false
  t.modules.joystick, t.modules.physics, t.modules.touch, t.modules.video = false, false, false, false
  if os.getenv("SCENARIO_LOVE_CHECK") == "1" then t.window.vsync = 0 end
  if headless then
    t.window = false
    t.modules.window, t.modules.graphics, t.modules.font = false, false, false
  end
end
