"""Model schedules as LISA's schedule management keeps them: Auto Scaling scheduled actions named after the model,
the schedule and its metadata at `model_config.autoScalingConfig.scheduling`, and the next start and stop."""
