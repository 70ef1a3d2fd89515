"""Qt widgets, models and wizards of LISA Desktop (never calls boto3)."""
