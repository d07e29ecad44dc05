return { remove = { ".ok", { text = "(unclosed" } } }
