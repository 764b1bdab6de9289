"""Services nodes reach through their context: files, devices, models. Torch is imported lazily."""
