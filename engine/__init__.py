"""The domain and the AWS orchestration of LISA Desktop (plain Python, never Qt)."""
