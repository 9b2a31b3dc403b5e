"""A team's own DCGAN package, in the style of pytorch/examples' dcgan (the tests copy it to a temp folder)."""
