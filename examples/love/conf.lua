-- LÖVE's configuration for the training demo (main.lua). With
-- SCENARIO_LOVE_HEADLESS=1 (make test-love) it runs without a window or
-- graphics, and prints its progress bar instead of drawing it.
local headless = os.getenv("SCENARIO_LOVE_HEADLESS") == "1"

function love.conf(t)
  t.identity = "scenario-training-demo"
  t.window.title = "scenario: training a LoRA"
  t.window.width, t.window.height = 640, 200
  t.modules.audio, t.modules.sound = false, false
  t.modules.joystick, t.modules.physics, t.modules.touch, t.modules.video = false, false, false, false
  if headless then
    t.window = false
    t.modules.window, t.modules.graphics, t.modules.font, t.modules.image = false, false, false, false
  end
end
