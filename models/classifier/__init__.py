"""Small MNIST classifier (`train_classifier`) and the sample-quality figures (`sample_quality`)."""
