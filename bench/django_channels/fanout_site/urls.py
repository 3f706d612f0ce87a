"""No HTTP pages: the bench script's probe of the server gets a 404 from Django itself."""

urlpatterns = []
