"""Field names of the old app's forms (FORMAT.md §4), shared by the new forms and the test corpus."""

# The Cleaning form's facility counts (tab 1), one number input each.
FACILITY_COUNT_FIELDS = (
    "facility_ground_parking",
    "facility_basement",
    "facility_podium",
    "facility_gym_room",
    "facility_swimming_pool",
    "facility_washroom_male",
    "facility_washroom_female",
    "facility_changing_room",
    "facility_play_kids_place",
    "facility_garbage_room",
    "facility_floor_chute_room",
    "facility_staircase",
    "facility_floor_service_room",
    "facility_cleaner_count",
)
