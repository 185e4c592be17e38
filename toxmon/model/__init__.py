"""Everything that makes a model and its TorchServe archive: the hub download, the offline
demo, the int8 model and the precision check, the build cache, and the archive itself.

None of it enters the archive (handler/ holds exactly what does); it imports the handler's
modules the flat way they sit inside the archive, so a check scores with the served code.
"""
