"""Files routes (mounted under /api/v1/): files/upload and the signed download files/{file_id}/content."""
from ..api.viewsets import OrbitRouter
from .api import FileContentViewSet, FileViewSet

router = OrbitRouter()
router.register("files", FileViewSet, basename="files")
# basename "file": the download route is named "file-content", which signed URLs are built and checked by.
router.register("files", FileContentViewSet, basename="file")
urlpatterns = router.urls
