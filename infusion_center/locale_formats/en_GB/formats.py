"""What every date and time field accepts and shows, in the center's convention (CENTER_DATE_ORDER, CENTER_CLOCK).

Django reads this through FORMAT_MODULE_PATH for the site's language (en-gb); the first format of each list is
the one form inputs show.
"""

from infusion_center import formats

DATE_INPUT_FORMATS = formats.date_input_formats()
TIME_INPUT_FORMATS = formats.time_input_formats()
DATETIME_INPUT_FORMATS = formats.datetime_input_formats()
FIRST_DAY_OF_WEEK = 1
