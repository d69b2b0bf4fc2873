"""Deploy side of edgelogs: Pulumi components and the stack configuration model."""
