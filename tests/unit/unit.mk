# Host unit tests (cmocka, ASan+UBSan).
