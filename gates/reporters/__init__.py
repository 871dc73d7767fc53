"""Pure renderers of a `Report`: they know nothing about tools or GitHub."""
