return { fields = { when = { "time", tz = "Europe/Kyiv" } } }
