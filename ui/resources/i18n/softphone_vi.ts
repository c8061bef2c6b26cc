<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="vi_VN">
<context>
    <name>AddContactDialog</name>
    <message>
        <location filename="../../views/contacts_view.py" line="32"/>
        <source>New contact</source>
        <translation>Liên hệ mới</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="37"/>
        <source>Name</source>
        <translation>Tên</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="38"/>
        <source>Number</source>
        <translation>Số</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="39"/>
        <source>Company</source>
        <translation>Công ty</translation>
    </message>
</context>
<context>
    <name>AddExtensionDialog</name>
    <message>
        <location filename="../../views/settings_view.py" line="55"/>
        <source>Add SIP extension</source>
        <translation>Thêm máy nhánh SIP</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="62"/>
        <source>optional, e.g. sip.example.com:5060</source>
        <translation>không bắt buộc, ví dụ sip.example.com:5060</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="66"/>
        <source>Extension</source>
        <translation>Máy nhánh</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="67"/>
        <source>Password</source>
        <translation>Mật khẩu</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="68"/>
        <source>Domain</source>
        <translation>Tên miền</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="69"/>
        <source>Proxy</source>
        <translation>Proxy</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="70"/>
        <source>Transport</source>
        <translation>Giao thức truyền</translation>
    </message>
</context>
<context>
    <name>CallView</name>
    <message>
        <location filename="../../views/call_view.py" line="209"/>
        <source>Transfer call</source>
        <translation>Chuyển cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="210"/>
        <source>Transfer now</source>
        <translation>Chuyển ngay</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="210"/>
        <source>Talk first</source>
        <translation>Trao đổi trước</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="220"/>
        <source>Add a call</source>
        <translation>Thêm cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="220"/>
        <source>Call</source>
        <translation>Gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="239"/>
        <source> (on hold)</source>
        <translation> (đang giữ máy)</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="240"/>
        <source> · conference</source>
        <translation> · hội nghị</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="265"/>
        <source> · on hold</source>
        <translation> · đang giữ máy</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="267"/>
        <source> · held by the other side</source>
        <translation> · bên kia đang giữ máy</translation>
    </message>
    <message numerus="yes">
        <location filename="../../views/call_view.py" line="271"/>
        <source>auto-answer in %n s</source>
        <translation>
            <numerusform>tự trả lời sau %n giây</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="273"/>
        <source>transferring…</source>
        <translation>đang chuyển…</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="275"/>
        <source>transfer failed</source>
        <translation>chuyển không thành công</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="284"/>
        <source>Talking to %1 before transferring %2.</source>
        <translation>Đang trao đổi với %1 trước khi chuyển %2.</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="300"/>
        <source>Calls</source>
        <translation>Cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="301"/>
        <source>Mute</source>
        <translation>Tắt tiếng</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="302"/>
        <source>Hold</source>
        <translation>Giữ máy</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="303"/>
        <source>Keypad</source>
        <translation>Bàn phím</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="304"/>
        <source>Transfer</source>
        <translation>Chuyển</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="305"/>
        <source>Add call</source>
        <translation>Thêm cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="306"/>
        <source>Conference</source>
        <translation>Hội nghị</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="307"/>
        <source>Record</source>
        <translation>Ghi âm</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="308"/>
        <source>● REC</source>
        <translation>● ĐANG GHI</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="309"/>
        <source>Complete transfer</source>
        <translation>Hoàn tất chuyển</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="310"/>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="311"/>
        <source>Hang up (Ctrl+Shift+H)</source>
        <translation>Gác máy (Ctrl+Shift+H)</translation>
    </message>
    <message>
        <location filename="../../views/call_view.py" line="312"/>
        <source>Answer (Ctrl+Shift+A)</source>
        <translation>Trả lời (Ctrl+Shift+A)</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <location filename="../../views/chat_view.py" line="81"/>
        <location filename="../../views/chat_view.py" line="146"/>
        <source>New conversation</source>
        <translation>Cuộc trò chuyện mới</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="81"/>
        <location filename="../../views/chat_view.py" line="145"/>
        <source>Chat</source>
        <translation>Tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="113"/>
        <source>Pick a conversation or start a new one.</source>
        <translation>Chọn một cuộc trò chuyện hoặc bắt đầu cuộc mới.</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="119"/>
        <source>sending…</source>
        <translation>đang gửi…</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="119"/>
        <source>not delivered</source>
        <translation>chưa gửi được</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="147"/>
        <source>Type a message</source>
        <translation>Nhập tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/chat_view.py" line="148"/>
        <source>Send</source>
        <translation>Gửi</translation>
    </message>
</context>
<context>
    <name>ContactsView</name>
    <message numerus="yes">
        <location filename="../../views/contacts_view.py" line="91"/>
        <source>%n contact(s) imported.</source>
        <translation>
            <numerusform>Đã nhập %n liên hệ.</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="92"/>
        <source>Import failed: %1</source>
        <translation>Nhập không thành công: %1</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="120"/>
        <source>Import contacts</source>
        <translation>Nhập danh bạ</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="120"/>
        <source>Contacts (*.csv *.xlsx)</source>
        <translation>Danh bạ (*.csv *.xlsx)</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="135"/>
        <source>Colleagues</source>
        <translation>Đồng nghiệp</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="136"/>
        <source>My contacts</source>
        <translation>Liên hệ của tôi</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="156"/>
        <source>Contacts</source>
        <translation>Danh bạ</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="157"/>
        <source>Search name or number</source>
        <translation>Tìm theo tên hoặc số</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="158"/>
        <source>New contact</source>
        <translation>Liên hệ mới</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="159"/>
        <source>Import CSV / Excel…</source>
        <translation>Nhập CSV / Excel…</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="160"/>
        <source>Name</source>
        <translation>Tên</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="160"/>
        <source>Number</source>
        <translation>Số</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="160"/>
        <source>Status</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="161"/>
        <source>Chat</source>
        <translation>Tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="162"/>
        <source>Delete</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <location filename="../../views/contacts_view.py" line="163"/>
        <source>Call</source>
        <translation>Gọi</translation>
    </message>
</context>
<context>
    <name>DialerView</name>
    <message>
        <location filename="../../views/dialer_view.py" line="195"/>
        <source>Adaptive number (matches the callee&apos;s carrier)</source>
        <translation>Số thích ứng (theo nhà mạng người nghe)</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="213"/>
        <source>Dial</source>
        <translation>Quay số</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="214"/>
        <source>Number or extension</source>
        <translation>Số điện thoại hoặc máy nhánh</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="215"/>
        <source>Delete last digit</source>
        <translation>Xóa số cuối</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="216"/>
        <source>Call out</source>
        <translation>Gọi ra ngoài</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="217"/>
        <source>Internal call</source>
        <translation>Gọi nội bộ</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="218"/>
        <source>Show caller ID:</source>
        <translation>Hiển thị số gọi đi:</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="219"/>
        <source>Call from:</source>
        <translation>Gọi từ:</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="220"/>
        <source>Call (Enter)</source>
        <translation>Gọi (Enter)</translation>
    </message>
    <message>
        <location filename="../../views/dialer_view.py" line="221"/>
        <source>Test call (echo test *43)</source>
        <translation>Gọi thử (kiểm tra tiếng vọng *43)</translation>
    </message>
</context>
<context>
    <name>HistoryView</name>
    <message>
        <location filename="../../views/history_view.py" line="106"/>
        <source>recorded</source>
        <translation>có ghi âm</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="117"/>
        <source>No calls yet.</source>
        <translation>Chưa có cuộc gọi nào.</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="121"/>
        <source>History</source>
        <translation>Lịch sử</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="123"/>
        <source>All</source>
        <translation>Tất cả</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="124"/>
        <source>Missed</source>
        <translation>Gọi nhỡ</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="125"/>
        <source>Incoming</source>
        <translation>Gọi đến</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="126"/>
        <source>Outgoing</source>
        <translation>Gọi đi</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="130"/>
        <source>Search name or number</source>
        <translation>Tìm theo tên hoặc số</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="132"/>
        <source>Name</source>
        <translation>Tên</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="132"/>
        <source>Number</source>
        <translation>Số</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="132"/>
        <source>Time</source>
        <translation>Thời gian</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="132"/>
        <source>Result</source>
        <translation>Kết quả</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="134"/>
        <source>Call back</source>
        <translation>Gọi lại</translation>
    </message>
    <message>
        <location filename="../../views/history_view.py" line="135"/>
        <source>Play recording</source>
        <translation>Nghe ghi âm</translation>
    </message>
</context>
<context>
    <name>IncomingCallWindow</name>
    <message numerus="yes">
        <location filename="../../views/incoming_window.py" line="95"/>
        <source>Answering automatically in %n s</source>
        <translation>
            <numerusform>Tự động trả lời sau %n giây</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../views/incoming_window.py" line="100"/>
        <source>Incoming call</source>
        <translation>Cuộc gọi đến</translation>
    </message>
    <message>
        <location filename="../../views/incoming_window.py" line="101"/>
        <source>Answer (Ctrl+Shift+A)</source>
        <translation>Trả lời (Ctrl+Shift+A)</translation>
    </message>
    <message>
        <location filename="../../views/incoming_window.py" line="102"/>
        <source>Decline (Esc)</source>
        <translation>Từ chối (Esc)</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../views/main_window.py" line="212"/>
        <source>The phone engine stopped: %1</source>
        <translation>Bộ xử lý cuộc gọi đã dừng: %1</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="220"/>
        <source>No account — open Settings to add one</source>
        <translation>Chưa có tài khoản — mở Cài đặt để thêm</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="229"/>
        <source>Check the password and server in Settings › Accounts.</source>
        <translation>Kiểm tra mật khẩu và máy chủ trong Cài đặt › Tài khoản.</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="237"/>
        <source>Softphone</source>
        <translation>Softphone</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="256"/>
        <source>Phone</source>
        <translation>Điện thoại</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="257"/>
        <source>History</source>
        <translation>Lịch sử</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="258"/>
        <source>Contacts</source>
        <translation>Danh bạ</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="259"/>
        <source>Chat</source>
        <translation>Tin nhắn</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="260"/>
        <source>Settings</source>
        <translation>Cài đặt</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="264"/>
        <source>My status:</source>
        <translation>Trạng thái của tôi:</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="266"/>
        <source>Reject incoming calls (Ctrl+Shift+D)</source>
        <translation>Từ chối cuộc gọi đến (Ctrl+Shift+D)</translation>
    </message>
    <message>
        <location filename="../../views/main_window.py" line="267"/>
        <source>Do not disturb is on: incoming calls are rejected.</source>
        <translation>Đang bật Không làm phiền: cuộc gọi đến sẽ bị từ chối.</translation>
    </message>
</context>
<context>
    <name>MobileProvisioningDialog</name>
    <message>
        <location filename="../../views/mobile_dialog.py" line="18"/>
        <source>Provision my mobile</source>
        <translation>Cài đặt cho điện thoại di động</translation>
    </message>
    <message>
        <location filename="../../views/mobile_dialog.py" line="22"/>
        <source>Open the softphone app on your mobile and scan this code. The code works once and expires soon.</source>
        <translation>Mở ứng dụng softphone trên điện thoại di động và quét mã này. Mã chỉ dùng được một lần và sẽ sớm hết hạn.</translation>
    </message>
    <message>
        <location filename="../../views/mobile_dialog.py" line="29"/>
        <source>Loading…</source>
        <translation>Đang tải…</translation>
    </message>
</context>
<context>
    <name>OnboardingView</name>
    <message>
        <location filename="../../views/onboarding_view.py" line="232"/>
        <source>Welcome</source>
        <translation>Xin chào</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="233"/>
        <source>Sign in to your company&apos;s phone system to start calling.</source>
        <translation>Đăng nhập tổng đài của công ty để bắt đầu gọi.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="236"/>
        <location filename="../../views/onboarding_view.py" line="274"/>
        <location filename="../../views/onboarding_view.py" line="280"/>
        <source>Log in</source>
        <translation>Đăng nhập</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="237"/>
        <source>Use the phone number or e-mail and the password of your account.</source>
        <translation>Dùng số điện thoại hoặc e-mail và mật khẩu tài khoản của bạn.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="240"/>
        <location filename="../../views/onboarding_view.py" line="275"/>
        <source>Create an account</source>
        <translation>Tạo tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="241"/>
        <source>We will send a code by SMS to this number.</source>
        <translation>Chúng tôi sẽ gửi mã qua SMS đến số này.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="244"/>
        <source>Enter the code</source>
        <translation>Nhập mã xác nhận</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="245"/>
        <source>Type the code we sent by SMS to %1.</source>
        <translation>Nhập mã đã gửi qua SMS đến %1.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="247"/>
        <source>About you</source>
        <translation>Thông tin của bạn</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="247"/>
        <source>Choose a password (at least 8 characters).</source>
        <translation>Chọn mật khẩu (ít nhất 8 ký tự).</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="248"/>
        <source>My accounts</source>
        <translation>Tài khoản của tôi</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="248"/>
        <source>Choose the extension to use on this computer.</source>
        <translation>Chọn máy nhánh dùng trên máy tính này.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="252"/>
        <source>Your session has expired. Please log in again.</source>
        <translation>Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="254"/>
        <source>Installing your configuration and connecting…</source>
        <translation>Đang cài đặt cấu hình và kết nối…</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="258"/>
        <source>ext.</source>
        <translation>máy nhánh</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="260"/>
        <source> (active on this computer)</source>
        <translation> (đang dùng trên máy này)</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="267"/>
        <source>Your administrator has not given you an extension yet.</source>
        <translation>Quản trị viên chưa cấp máy nhánh cho bạn.</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="276"/>
        <source>I have a SIP extension (enter it by hand)</source>
        <translation>Tôi có máy nhánh SIP (nhập thủ công)</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="277"/>
        <source>Server address</source>
        <translation>Địa chỉ máy chủ</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="278"/>
        <source>Phone or e-mail</source>
        <translation>Số điện thoại hoặc e-mail</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="279"/>
        <location filename="../../views/onboarding_view.py" line="291"/>
        <source>Password</source>
        <translation>Mật khẩu</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="281"/>
        <location filename="../../views/onboarding_view.py" line="284"/>
        <source>Back</source>
        <translation>Quay lại</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="282"/>
        <source>Mobile number</source>
        <translation>Số di động</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="283"/>
        <source>Send code</source>
        <translation>Gửi mã</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="285"/>
        <source>Code</source>
        <translation>Mã</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="286"/>
        <source>Continue</source>
        <translation>Tiếp tục</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="287"/>
        <source>Send again</source>
        <translation>Gửi lại mã</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="288"/>
        <source>Full name</source>
        <translation>Họ và tên</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="289"/>
        <source>Company</source>
        <translation>Công ty</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="290"/>
        <source>E-mail (optional)</source>
        <translation>E-mail (không bắt buộc)</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="292"/>
        <source>Create account</source>
        <translation>Tạo tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="293"/>
        <source>Activate on this computer</source>
        <translation>Kích hoạt trên máy này</translation>
    </message>
    <message>
        <location filename="../../views/onboarding_view.py" line="294"/>
        <source>Not now</source>
        <translation>Để sau</translation>
    </message>
</context>
<context>
    <name>QPlatformTheme</name>
    <message>
        <location filename="../../views/qt_strings.py" line="9"/>
        <source>OK</source>
        <translation>Đồng ý</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="10"/>
        <source>Cancel</source>
        <translation>Hủy</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="11"/>
        <source>Close</source>
        <translation>Đóng</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="12"/>
        <source>&amp;Yes</source>
        <translation>&amp;Có</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="13"/>
        <source>&amp;No</source>
        <translation>&amp;Không</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="14"/>
        <source>Apply</source>
        <translation>Áp dụng</translation>
    </message>
    <message>
        <location filename="../../views/qt_strings.py" line="15"/>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
</context>
<context>
    <name>SettingsView</name>
    <message>
        <location filename="../../views/settings_view.py" line="244"/>
        <source>Edit SIP extension</source>
        <translation>Sửa máy nhánh SIP</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="247"/>
        <source>unchanged</source>
        <translation>giữ nguyên</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="271"/>
        <source>Remove account</source>
        <translation>Xóa tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="271"/>
        <source>Remove this account from this computer?</source>
        <translation>Xóa tài khoản này khỏi máy tính?</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="279"/>
        <source>Enter your mobile number as 84xxxxxxxxx.</source>
        <translation>Nhập số di động dạng 84xxxxxxxxx.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="284"/>
        <source>Reset application</source>
        <translation>Đặt lại ứng dụng</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="286"/>
        <source>This removes every account, saved password, contact and the call and chat history from this computer. Continue?</source>
        <translation>Thao tác này xóa mọi tài khoản, mật khẩu đã lưu, danh bạ, lịch sử cuộc gọi và tin nhắn khỏi máy tính này. Tiếp tục?</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="303"/>
        <source>Deactivate</source>
        <translation>Tạm ngừng</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="303"/>
        <source>Activate</source>
        <translation>Kích hoạt</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="320"/>
        <source>No account yet. Log in to your company or add a SIP extension.</source>
        <translation>Chưa có tài khoản. Đăng nhập tổng đài công ty hoặc thêm máy nhánh SIP.</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="334"/>
        <source>System default</source>
        <translation>Mặc định của hệ thống</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="362"/>
        <source>Settings</source>
        <translation>Cài đặt</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="364"/>
        <source>Accounts</source>
        <translation>Tài khoản</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="364"/>
        <source>Audio</source>
        <translation>Âm thanh</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="364"/>
        <source>Calls</source>
        <translation>Cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="364"/>
        <source>General</source>
        <translation>Chung</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="367"/>
        <source>Log in to my company…</source>
        <translation>Đăng nhập tổng đài công ty…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="368"/>
        <source>Add SIP extension…</source>
        <translation>Thêm máy nhánh SIP…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="369"/>
        <source>Remove</source>
        <translation>Xóa</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="370"/>
        <source>Edit…</source>
        <translation>Sửa…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="371"/>
        <source>Provision my mobile…</source>
        <translation>Cài đặt cho di động…</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="372"/>
        <source>Microphone</source>
        <translation>Micrô</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="373"/>
        <source>Microphone level</source>
        <translation>Mức micrô</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="374"/>
        <source>Speaker / headset</source>
        <translation>Loa / tai nghe</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="375"/>
        <source>Ringtone plays on</source>
        <translation>Phát chuông trên</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="376"/>
        <source>Test speaker</source>
        <translation>Thử loa</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="377"/>
        <source>Where my calls ring</source>
        <translation>Nơi đổ chuông cuộc gọi</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="378"/>
        <source>Ring</source>
        <translation>Đổ chuông</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="379"/>
        <source>My mobile number</source>
        <translation>Số di động của tôi</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="380"/>
        <source>Save</source>
        <translation>Lưu</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="381"/>
        <source>Auto-answer</source>
        <translation>Tự động trả lời</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="382"/>
        <source>Answer incoming calls automatically after (seconds):</source>
        <translation>Tự động trả lời cuộc gọi đến sau (giây):</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="383"/>
        <source>Language</source>
        <translation>Ngôn ngữ</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="384"/>
        <source>Start minimized in the tray</source>
        <translation>Khởi động thu nhỏ xuống khay hệ thống</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="385"/>
        <source>Start when I log in to the computer</source>
        <translation>Tự khởi động khi đăng nhập máy tính</translation>
    </message>
    <message>
        <location filename="../../views/settings_view.py" line="386"/>
        <source>Reset application…</source>
        <translation>Đặt lại ứng dụng…</translation>
    </message>
</context>
<context>
    <name>TargetDialog</name>
    <message>
        <location filename="../../views/call_view.py" line="59"/>
        <source>Number or extension</source>
        <translation>Số điện thoại hoặc máy nhánh</translation>
    </message>
</context>
<context>
    <name>Texts</name>
    <message>
        <location filename="../../views/texts.py" line="12"/>
        <source>Available</source>
        <translation>Sẵn sàng</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="13"/>
        <source>Away</source>
        <translation>Vắng mặt</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="14"/>
        <location filename="../../views/texts.py" line="126"/>
        <source>Busy</source>
        <translation>Bận</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="15"/>
        <source>Do not disturb</source>
        <translation>Không làm phiền</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="16"/>
        <source>On the phone</source>
        <translation>Đang nghe máy</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="17"/>
        <source>Offline</source>
        <translation>Ngoại tuyến</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="18"/>
        <source>Unknown</source>
        <translation>Không rõ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="34"/>
        <location filename="../../views/texts.py" line="78"/>
        <source>Connecting…</source>
        <translation>Đang kết nối…</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="35"/>
        <source>Registered</source>
        <translation>Đã đăng ký</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="36"/>
        <source>Not registered</source>
        <translation>Chưa đăng ký</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="37"/>
        <source>Registration failed</source>
        <translation>Đăng ký thất bại</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="38"/>
        <source>Deactivated</source>
        <translation>Đã tạm ngừng</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="44"/>
        <location filename="../../views/texts.py" line="45"/>
        <location filename="../../views/texts.py" line="46"/>
        <source>wrong password</source>
        <translation>sai mật khẩu</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="47"/>
        <source>unknown extension</source>
        <translation>máy nhánh không tồn tại</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="41"/>
        <source>server not reachable</source>
        <translation>không kết nối được máy chủ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="73"/>
        <source>Calling…</source>
        <translation>Đang gọi…</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="74"/>
        <source>Incoming call</source>
        <translation>Cuộc gọi đến</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="76"/>
        <location filename="../../views/texts.py" line="77"/>
        <source>Ringing…</source>
        <translation>Đang đổ chuông…</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="79"/>
        <source>In call</source>
        <translation>Đang đàm thoại</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="80"/>
        <source>Call ended</source>
        <translation>Cuộc gọi đã kết thúc</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="87"/>
        <source>Cannot reach the server. Check the network and the server address.</source>
        <translation>Không kết nối được máy chủ. Hãy kiểm tra mạng và địa chỉ máy chủ.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="90"/>
        <source>Wrong phone/e-mail or password.</source>
        <translation>Sai số điện thoại/e-mail hoặc mật khẩu.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="91"/>
        <source>This phone number is not valid.</source>
        <translation>Số điện thoại không hợp lệ.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="92"/>
        <location filename="../../views/texts.py" line="93"/>
        <location filename="../../views/texts.py" line="94"/>
        <source>The code is wrong or has expired.</source>
        <translation>Mã không đúng hoặc đã hết hạn.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="95"/>
        <source>Too many attempts. Please wait a minute and try again.</source>
        <translation>Thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="98"/>
        <source>This phone number already has an account. Please log in.</source>
        <translation>Số điện thoại này đã có tài khoản. Vui lòng đăng nhập.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="101"/>
        <source>The password needs at least 8 characters.</source>
        <translation>Mật khẩu cần ít nhất 8 ký tự.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="102"/>
        <location filename="../../views/texts.py" line="113"/>
        <source>Please fill in all required fields.</source>
        <translation>Vui lòng điền đủ các trường bắt buộc.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="103"/>
        <source>Your session has expired. Please log in again.</source>
        <translation>Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="106"/>
        <source>Please log in first.</source>
        <translation>Vui lòng đăng nhập trước.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="107"/>
        <source>No SIP account is active. Add or activate one in Settings.</source>
        <translation>Chưa có tài khoản SIP nào hoạt động. Hãy thêm hoặc kích hoạt trong Cài đặt.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="110"/>
        <source>Your account is not allowed to call outside numbers.</source>
        <translation>Tài khoản của bạn không được phép gọi ra ngoài.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="114"/>
        <location filename="../../views/texts.py" line="117"/>
        <source>Something went wrong.</source>
        <translation>Đã xảy ra lỗi.</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="123"/>
        <source>Answered</source>
        <translation>Đã nghe</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="124"/>
        <source>Missed</source>
        <translation>Gọi nhỡ</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="125"/>
        <source>Declined</source>
        <translation>Đã từ chối</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="127"/>
        <source>Failed</source>
        <translation>Không thành công</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="128"/>
        <source>Cancelled</source>
        <translation>Đã hủy</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="134"/>
        <source>All my devices</source>
        <translation>Tất cả thiết bị của tôi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="135"/>
        <source>This app only</source>
        <translation>Chỉ ứng dụng này</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="136"/>
        <source>My IP phone</source>
        <translation>Điện thoại IP của tôi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="137"/>
        <source>My mobile</source>
        <translation>Di động của tôi</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="150"/>
        <source>Quality: excellent</source>
        <translation>Chất lượng: rất tốt</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="151"/>
        <source>Quality: good</source>
        <translation>Chất lượng: tốt</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="152"/>
        <source>Quality: fair</source>
        <translation>Chất lượng: trung bình</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="153"/>
        <source>Quality: poor</source>
        <translation>Chất lượng: kém</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="162"/>
        <source>Encrypted (SRTP)</source>
        <translation>Có mã hóa (SRTP)</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="164"/>
        <source>Not encrypted</source>
        <translation>Không mã hóa</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="166"/>
        <source>Codec</source>
        <translation>Codec</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="167"/>
        <source>Packet loss</source>
        <translation>Mất gói</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="168"/>
        <source>Jitter</source>
        <translation>Độ trễ biến thiên (jitter)</translation>
    </message>
    <message>
        <location filename="../../views/texts.py" line="169"/>
        <source>Round trip</source>
        <translation>Thời gian khứ hồi</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <location filename="../../views/tray.py" line="69"/>
        <source>Softphone — %1</source>
        <translation>Softphone — %1</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="72"/>
        <source>Show Softphone</source>
        <translation>Mở Softphone</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="73"/>
        <source>Do not disturb</source>
        <translation>Không làm phiền</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="74"/>
        <source>Status</source>
        <translation>Trạng thái</translation>
    </message>
    <message>
        <location filename="../../views/tray.py" line="77"/>
        <source>Quit</source>
        <translation>Thoát</translation>
    </message>
</context>
</TS>
