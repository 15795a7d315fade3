from django.conf import settings


def center(request):
    return {"center_name": settings.CENTER_NAME}
