"""The report pack: every chart with its caption and cited figures, as HTML, PDF and a Frictionless data package."""
