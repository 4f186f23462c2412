"""Models: training, evaluation and inference (torch, ultralytics, statsmodels imported lazily)."""
