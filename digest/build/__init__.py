"""Building a digest: the window, ranking, themes and facts."""
