"""Food photos: the training pipeline (torch, ultralytics) and the served analyser (onnxruntime).

Run time needs only numpy, Pillow, OpenCV, onnxruntime and rapidocr; the training modules
(``classifier``, ``detector``, ``training``, ``export``, ``pipeline``) import torch and
ultralytics inside their functions.
"""
