return { fields = { when = { "time", tz = "Europe/Atlantis" } } }
