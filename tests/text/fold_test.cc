// placeholder: implemented by the stage owner
