"""What runs inside the Rasa server: the tracker and lock stores named in endpoints.yml, the turn policy named in config.yml, and the patches of rasa_patches.py."""
