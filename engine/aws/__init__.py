"""The AWS gateways: one client factory, typed wrappers of AWS responses, and domain errors only.

Every call to AWS made by the engine goes through a gateway of this package; callers never see a botocore
exception (see `engine.aws.errors.translate_errors`).
"""
